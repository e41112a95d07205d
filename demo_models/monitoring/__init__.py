"""What Monitoring watches: a decision stream scored by an iteration, by month."""
