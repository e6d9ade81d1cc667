"""vocspark.analytics"""
