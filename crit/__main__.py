from crit.cli import main

raise SystemExit(main())
