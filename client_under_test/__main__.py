from __future__ import annotations

import sys

from binance_mock.client_under_test.cli import main

sys.exit(main())
