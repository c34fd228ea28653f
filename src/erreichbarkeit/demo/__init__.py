"""The fictional Beispielkreis generator."""
