"""Use cases: HTTP, CLI, watcher and queue tasks all call these."""
