from backend_orchestrator.cli import main

raise SystemExit(main())
