"""HTTP routes: public pages and API, and the moderators' side."""
