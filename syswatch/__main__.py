from syswatch.cli import main

raise SystemExit(main())
