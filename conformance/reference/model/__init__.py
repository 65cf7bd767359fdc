"""What REST and streaming share: audio, transcription, settings, faults, keys, auth, the logs."""
