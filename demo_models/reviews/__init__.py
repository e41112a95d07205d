"""Review rounds on the machine side: which cases a round shows, and why."""
