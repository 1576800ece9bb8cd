"""Test material per assignment: one folder each, named as in source/."""
