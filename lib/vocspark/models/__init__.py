"""vocspark.models"""
