// My training, courses, and playback (/api/v1/me/plans, /courses, /learning).
const {get, post} = require('../utils/request')

/** The plans I own, each with `progress` {earned_hours, credit_hours, completion, ...}. */
function myPlans() {
  return get('/me/plans')
}

/** A plan's courses, paged: {items, page, per_page, total, pages, progress}. */
function planCourses(projectId, page, perPage) {
  return get('/me/plans/' + projectId + '/courses', {page: page || 1, per_page: perPage || 10})
}

/** A course with its chapters (state, watched_seconds, last_position). */
function course(courseId) {
  return get('/courses/' + courseId)
}

/** Start playing a chapter → {session_id, resume_position, duration, heartbeat_seconds, video_url, ...}. */
function startChapter(chapterId) {
  return post('/learning/chapters/' + chapterId + '/sessions', {device: 'mini'})
}

/** A fresh link to the chapter's video (the old one expired during a pause or a seek) → {video_url, expires_at}. */
function videoLink(chapterId) {
  return get('/learning/chapters/' + chapterId + '/video-link', undefined, {silent: true})
}

/** One heartbeat → {status: ok|ask|taken_over|ended|rejected, watched_seconds, complete, question?, message?}. */
function heartbeat(beat) {
  return post('/learning/heartbeat', beat, {silent: true})
}

/** Answer the open anti-idle question → {correct, ended?, question?, attempts_left?, message?}. */
function answerQuestion(sessionId, questionId, choice) {
  return post('/learning/sessions/' + encodeURIComponent(sessionId) + '/answer',
    {question_id: questionId, choice})
}

module.exports = {videoLink, myPlans, planCourses, course, startChapter, heartbeat, answerQuestion}
