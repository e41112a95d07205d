"""The iteration registry and the model families it stores: cards, files, scores, MLflow import."""
