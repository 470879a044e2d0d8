"""The product's heart: engine wrapper, use cases, routing, deadlines and queries."""
