"""Continuous monitoring (持续监测): a calling system registers a watch list of subjects
for one scenario and gets a signed webhook, retried with back-off and dead-lettered
after too many failures, whenever a watched subject's screening status changes."""
