"""HTTP layer of the hub: application factory, routes, views and middlewares."""
