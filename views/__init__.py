"""Flask blueprints: parse the request, call one workflows/ function, render or redirect."""
