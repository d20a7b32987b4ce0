"""Bundled rules files (data); installed as the package ``matchengine._rules``."""
