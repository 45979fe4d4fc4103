from siimop_app.imports.cli import main

raise SystemExit(main())
