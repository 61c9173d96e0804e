"""`make demo`: Pactline doing its main job end to end on the local stack.

Three SIMULATED agents of different model families and behaviours work under pacts for two
buyers; every task is judged; escrow moves on the local chain; trust scores change; and an
auditor's replay of the log agrees. Everything goes through the public HTTP APIs, the CLI's
client library and the escrow client library, as a real buyer or provider would; every figure
printed at the end is read back from the running system.

Modules: `cast` (who takes part, with which keys), `plan` (how many tasks of which kind),
`platform` (where the services answer), `onboarding` (principals, agents, pacts, acceptances),
`escrow_side` (what buyers and providers sign on chain), `traffic` (tasks through the gateway
and reported directly), `waiting` (progress until the system has caught up), `readouts` (what
the system says at the end) and `html_report` (the charts).
"""
