"""matchengine: match an app's records to a district's Clever roster (Matchmaker format)."""

__version__ = "0.1.0"
