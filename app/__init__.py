"""Corner Roastery: a small web store on Litestar, htmx 4, Piccolo and Stripe Checkout."""
