// SoftQAnalysis: see Package.swift for where this stage sits in the data flow.
