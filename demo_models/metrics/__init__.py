"""Numbers about an iteration: performance, cost of errors, fairness, drift, outcomes, comparisons."""
