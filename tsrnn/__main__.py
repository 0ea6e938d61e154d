"""``python -m tsrnn``: the ``tsrnn`` command line."""

from .cli import main

raise SystemExit(main())
