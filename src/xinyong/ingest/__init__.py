"""Collection (归集) of records from departments: readers, submissions, quarantine."""
