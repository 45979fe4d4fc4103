import sys

from siimop_app.loadtest.run import main

sys.exit(main())
