// SoftQSampling: incremental decoding (see Package.swift).
