"""One module per family of scenarios; each scenario takes the run's Context and returns table rows."""
