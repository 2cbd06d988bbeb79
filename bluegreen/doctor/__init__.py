"""The doctor: named rules that check a CodePipeline -> CodeDeploy -> ECS blue/green setup on
the account and say what is wrong, why it breaks and how to fix it; and `adopt`, which turns
such a setup into a bluegreen config.

`facts.Facts` fetches each AWS fact once (concurrently, following the calls' dependencies);
`rules/` holds the checks by area; `diagnose.diagnose` runs them all at once.
"""
