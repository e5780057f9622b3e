"""The translators' desk: translator grants, review steps per module and language, the web desk."""
