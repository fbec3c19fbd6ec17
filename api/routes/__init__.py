"""HTTP routes, one module per resource family; each exposes `router`."""
