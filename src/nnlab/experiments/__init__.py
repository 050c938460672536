"""Glue between the workflow and the models: load data, train, write the results contract."""
