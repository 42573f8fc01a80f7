"""The answering layer: plans and conversation memory, citations, and the one ``compose`` that builds every answer."""
