"""Watching a stack: polls CodePipeline, CodeDeploy, ELBv2, ECS and CloudWatch Logs into
immutable snapshots (`snapshot.py`) for the monitor screen and `bluegreen status`, and the
controls that steer a deployment. UI-free and asyncio: boto3 calls run in threads."""
