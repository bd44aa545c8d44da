"""Background jobs: the Celery door into backend services.

`tasks.celery_app` holds the Celery application the worker runs, `tasks.base` the wrapper
that gives every job its Task row lifecycle, `tasks.system` the jobs themselves and
`tasks.dispatch.enqueue` the one way to start a job. Task functions stay thin: the work is
done by backend services, so a job behaves the same as the page or command that started it.
"""
