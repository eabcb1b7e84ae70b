"""``python -m gateway.sample OUT_DIR``: write the sample school (``gateway.sample.generate``)."""

from gateway.sample.generate import main

raise SystemExit(main())
