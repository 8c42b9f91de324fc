"""Services: the hub's use cases. Each owns its transaction (``uow.unit_of_work``) and
publishes live events only after that transaction committed; the web layer calls one
service per request; everything below takes a database session and never commits."""
