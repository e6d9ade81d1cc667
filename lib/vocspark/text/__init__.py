"""vocspark.text"""
