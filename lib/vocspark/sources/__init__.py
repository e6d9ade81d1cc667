"""vocspark.sources"""
