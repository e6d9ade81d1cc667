"""Deployment to Amazon EMR and AWS Glue: one set of definitions (:mod:`.definitions`) rendered into a
CloudFormation template (:mod:`.template`) and applied with boto3 (:mod:`.aws`); CLI in :mod:`.__main__`."""
