"""Notices (通知) to applicants: an outbox written with the case change, delivered later
by e-mail (SMTP, console or null backend); SMS is an interface only."""
