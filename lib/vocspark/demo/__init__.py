"""vocspark.demo"""
