"""HTTP helpers shared by the route blueprints: pages, cookies, forms, redirects."""
