"""vocspark.jobs"""
