from siimop_app.demo.cli import main

raise SystemExit(main())
