"""`orderflow cost`: what an order costs on AWS, Standard vs Express vs the seed's single Lambda.

``prices`` loads the dated price table, ``capacity`` computes DynamoDB request units from item
sizes, ``calc`` prices measured usage (pure), ``collect`` measures the orders that ran on a running
local stack, ``report`` prints the result.
"""
