from benchmarks.spark.run import main

raise SystemExit(main())
