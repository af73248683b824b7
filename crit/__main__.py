"""``python -m crit``: the command line (:func:`crit.cli.main`)."""

from crit.cli import main

raise SystemExit(main())
