"""Explanations of a case: SHAP summed to the original inputs, reason codes, what-ifs."""
