"""What people read: number formats, glossary, worked examples, figures, chart text, reports."""
