"""Custom actions, one module per capability. They reach the hub only over HTTP."""
