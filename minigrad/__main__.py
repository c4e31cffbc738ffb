"""`python -m minigrad ...`: see `minigrad.cli.main`."""

from .cli.main import main

raise SystemExit(main())
